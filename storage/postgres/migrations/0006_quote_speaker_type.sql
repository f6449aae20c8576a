-- Who speaks: a person, an organisation ("the Foreign Ministry said") or a group ("officials
-- said"); and terms in quote marks ("the so-called “reset”"), which are kept with the article
-- but are not attributed quotes and never listed by /quotes.
ALTER TABLE quotes ADD COLUMN speaker_type TEXT;
ALTER TABLE quotes ADD COLUMN scare_quote BOOLEAN NOT NULL DEFAULT FALSE;
