-- PostgreSQL compares text in the database's collation (often a linguistic one,
-- fr_FR or en_US); its prefix searches now compare byte by byte (`COLLATE "C"`) with
-- indexes to match. SQLite always compares bytes: nothing to do here.
SELECT 1;
