-- Where an article's text came from (bot.domain.articles.ArticleOrigin): 'fetched' (Diplobrief
-- fetched the page at url itself), 'pasted' (a member pasted or uploaded it; the link they gave
-- is kept in given_url, unchecked) or 'file' (a local file read by the CLI, source_path).
-- Only fetched articles have a url, a canonical_url and rows in article_urls: a pasted text is
-- never found by, nor shown as, the page it claims to be.
ALTER TABLE articles ADD COLUMN origin TEXT NOT NULL DEFAULT 'fetched';
ALTER TABLE articles ADD COLUMN given_url TEXT;

UPDATE articles SET origin = 'file' WHERE source_path IS NOT NULL;
-- Before this, nothing recorded that a text was pasted, and pasted text was stored under the
-- link its member typed. Plain-text rows without a file are taken as pasted (a fetched
-- text/plain page is rare, and is only fetched again on its next summary); rows without a link
-- were pasted or uploaded. An uploaded .html file stored with a link cannot be told apart from
-- a fetched page and stays 'fetched'.
UPDATE articles SET origin = 'pasted'
    WHERE source_path IS NULL AND (url IS NULL OR source_kind = 'text');
UPDATE articles SET given_url = url, url = NULL, canonical_url = NULL WHERE origin <> 'fetched';
DELETE FROM article_urls
    WHERE article_id IN (SELECT id FROM articles WHERE origin <> 'fetched');
