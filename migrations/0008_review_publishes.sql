-- 0008: a reply publish in flight, or one whose outcome WB did not confirm (services/reviews.py).
--
-- The row is the claim: inserted and committed before the WB call, so the review's row is not
-- locked meanwhile (the sync keeps upserting it) and a second press finds the claim and sends
-- nothing. Removed once WB answered (or refused for sure); 'unknown' stays until a sync shows
-- the answer or a person confirms another publish.
CREATE TABLE review_publishes (
  review_id  TEXT PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE,
  state      TEXT NOT NULL CHECK (state IN ('publishing', 'unknown')),
  text       TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
