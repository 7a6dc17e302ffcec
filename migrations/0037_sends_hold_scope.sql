-- Whether the hold a throttled reply put on an account's replies
-- (sends_held_until) is the token's whole budget, which on platforms whose
-- posting spends the reading budget holds the harvest too, or only the
-- reply API's own limit (Weibo's 10024), which holds the replies alone.
ALTER TABLE social.account ADD COLUMN sends_hold_token_wide boolean NOT NULL DEFAULT true;
