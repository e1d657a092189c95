-- 0004: at most one active follow-up sequence per chat (domain-rules.md, "Never twice").
CREATE UNIQUE INDEX idx_auto_sequences_one_active
  ON chat_auto_sequences(chat_id) WHERE status = 'active';
