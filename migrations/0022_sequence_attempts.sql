-- 0022: follow-up sequences send exactly once (docs/decisions.md, "Follow-up sends").
-- The attempt (step, text, id) is committed before the WB call and cleared when its result is
-- recorded; an attempt left without a result is resolved from WB's events before any retry.
ALTER TABLE chat_auto_sequences
  ADD COLUMN stop_message   TEXT NULL,         -- the set's stop message, sent after the last step
  ADD COLUMN stop_detail    TEXT NULL,         -- why WB refused (stop_reason = 'wb_refused')
  ADD COLUMN owner_told_at  TIMESTAMPTZ NULL,  -- the owner was told about the refusal once
  ADD COLUMN attempt_id     TEXT NULL,
  ADD COLUMN attempt_step   INT NULL,
  ADD COLUMN attempt_text   TEXT NULL,
  ADD COLUMN attempt_at     TIMESTAMPTZ NULL,
  ADD COLUMN last_error     TEXT NULL,
  ADD COLUMN failures       INT NOT NULL DEFAULT 0;
