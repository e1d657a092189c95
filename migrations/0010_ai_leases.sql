-- 0010: a lease on an object an LLM is working on (services/ai/leases.py).
--
-- Replaces the session advisory locks that complaint and reply drafting held on a pooled
-- connection across the LLM call: a batch on a small pool deadlocked, and enough calls in
-- flight took every connection of the bot. The row is the claim: inserted (or taken over once
-- expired) by one conditional statement and committed before the LLM call, deleted after it
-- by its holder. A process that dies holding one leaves a row that expires; the next claim
-- takes it over. Two processes drafting the same object: the second sees the row and pays
-- nothing.
CREATE TABLE ai_leases (
  kind       TEXT NOT NULL,
  object_id  TEXT NOT NULL,
  holder     TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (kind, object_id)
);
