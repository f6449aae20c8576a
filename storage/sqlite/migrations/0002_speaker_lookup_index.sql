-- Speaker autocomplete groups by the case-folded name and shows the name as written:
-- with both in the index it never reads the quotes table itself.
DROP INDEX quotes_guild_speaker_key;
CREATE INDEX quotes_guild_speaker ON quotes (guild_id, speaker_key, speaker);
