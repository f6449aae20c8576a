-- Where a file ingested from the command line was read from, as the user typed it
-- (NULL for links, pasted text and Discord uploads): briefings list it as the source.
ALTER TABLE articles ADD COLUMN source_path TEXT;
