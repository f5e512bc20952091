-- A post's recipients are queued here first, a chunk at a time: two integers a
-- row in one B-tree, where an outbox row costs five B-trees and ~200 bytes (a
-- chunk of 1,000: ~2 ms against 7–8 ms in the sqlite3 shell), so a post to every
-- signer barely slows the people signing (issue 4). The worker moves them to the
-- outbox only as fast as bulk delivery takes them.
CREATE TABLE post_queue (
    -- No foreign key: PostgreSQL checks one with a trigger per row, 40 % of a
    -- chunk's time; only the fan-out writes here, with the id of the post it holds
    -- locked, and posts are never deleted.
    post_id BIGINT NOT NULL,
    signature_id BIGINT NOT NULL,
    PRIMARY KEY (post_id, signature_id)
) WITHOUT ROWID;
-- Recipients still in the queue; posts with some left are found by a small index.
ALTER TABLE petition_posts ADD COLUMN queue_left BIGINT NOT NULL DEFAULT 0;
CREATE INDEX petition_posts_queue ON petition_posts(id) WHERE queue_left > 0;
