-- Where an article's text came from (bot.domain.articles.ArticleOrigin): 'fetched' (Diplobrief
-- fetched the page at url itself), 'pasted' (a member pasted or uploaded it; the link they gave
-- is kept in given_url, unchecked) or 'file' (a local file read by the CLI, source_path).
-- Only fetched articles have a url, a canonical_url and rows in article_urls: a pasted text is
-- never found by, nor shown as, the page it claims to be. (Databases copied from SQLite by
-- migrate-db already carry the columns' values.)
ALTER TABLE articles ADD COLUMN origin TEXT NOT NULL DEFAULT 'fetched';
ALTER TABLE articles ADD COLUMN given_url TEXT;
-- A page longer than the analysis limit keeps only its analysed beginning in `text`;
-- cut_from is how long its extracted text was (NULL: whole).
ALTER TABLE articles ADD COLUMN cut_from INTEGER;
