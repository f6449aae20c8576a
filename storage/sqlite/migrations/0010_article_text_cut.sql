-- A page longer than the analysis limit (bot.domain.limits.MAX_ANALYSED_CHARS) keeps only its
-- analysed beginning in `text`; cut_from is how long its extracted text was (NULL: whole).
ALTER TABLE articles ADD COLUMN cut_from INTEGER;
