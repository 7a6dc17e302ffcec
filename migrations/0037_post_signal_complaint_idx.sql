-- The inbox's complaint filter also lists the posts the sentiment signal
-- flags as complaints: their ids, without reading every signal.
CREATE INDEX post_signal_complaint_idx ON listen.post_signal (post_id) WHERE complaint;
