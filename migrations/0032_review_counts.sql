-- review_counts: how many reviews a store has per filter bucket, kept by triggers on reviews
-- (issue 17). The reviews list's counter sums the buckets its filter selects (a few dozen
-- rows per store) instead of counting the filter's rows, which on a 1M-review store meant
-- ~128k rows per list open. The key holds every column the list's count filters on except
-- product and date (those filters count their own, bounded, rows). NULLs are kept as NULLs
-- (NULLS NOT DISTINCT) so a bucket sum equals count(*) under the list's `=` predicates.
-- Statement-level triggers with transition tables: one sync page upsert costs one grouped
-- upsert of deltas, applied in key order (no deadlock between two statements of two
-- transactions that touch the same buckets in different orders within one statement).
-- No foreign key to stores: a store's delete cascades to reviews, whose trigger then finds
-- the store gone and drops its buckets.

CREATE TABLE review_counts (
  store_id           TEXT NOT NULL,
  rating             INTEGER NOT NULL,
  has_answer         BOOLEAN NULL,
  complaint_status   complaint_status NULL,
  is_product_active  BOOLEAN NULL,
  n                  BIGINT NOT NULL
);
CREATE UNIQUE INDEX review_counts_key ON review_counts
  (store_id, rating, has_answer, complaint_status, is_product_active) NULLS NOT DISTINCT;

CREATE FUNCTION review_counts_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO review_counts AS c (store_id, rating, has_answer, complaint_status,
                                  is_product_active, n)
  SELECT store_id, rating, has_answer, complaint_status, is_product_active, count(*)
    FROM new_rows
   GROUP BY 1, 2, 3, 4, 5
   ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (store_id, rating, has_answer, complaint_status, is_product_active)
  DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE FUNCTION review_counts_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO review_counts AS c (store_id, rating, has_answer, complaint_status,
                                  is_product_active, n)
  SELECT store_id, rating, has_answer, complaint_status, is_product_active, -count(*)
    FROM old_rows
   GROUP BY 1, 2, 3, 4, 5
   ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (store_id, rating, has_answer, complaint_status, is_product_active)
  DO UPDATE SET n = c.n + EXCLUDED.n;
  DELETE FROM review_counts c
   WHERE c.store_id IN (SELECT DISTINCT store_id FROM old_rows)
     AND (c.n = 0 OR NOT EXISTS (SELECT 1 FROM stores s WHERE s.id = c.store_id));
  RETURN NULL;
END $$;

CREATE FUNCTION review_counts_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO review_counts AS c (store_id, rating, has_answer, complaint_status,
                                  is_product_active, n)
  SELECT store_id, rating, has_answer, complaint_status, is_product_active, sum(d)
    FROM (SELECT store_id, rating, has_answer, complaint_status, is_product_active, -1 AS d
            FROM old_rows
          UNION ALL
          SELECT store_id, rating, has_answer, complaint_status, is_product_active, 1
            FROM new_rows) x
   GROUP BY 1, 2, 3, 4, 5
  HAVING sum(d) <> 0
   ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (store_id, rating, has_answer, complaint_status, is_product_active)
  DO UPDATE SET n = c.n + EXCLUDED.n;
  DELETE FROM review_counts c
   WHERE c.n = 0 AND c.store_id IN (SELECT DISTINCT store_id FROM old_rows);
  RETURN NULL;
END $$;

CREATE FUNCTION review_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM review_counts;
  RETURN NULL;
END $$;

CREATE TRIGGER review_counts_ins AFTER INSERT ON reviews
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION review_counts_ins();
CREATE TRIGGER review_counts_upd AFTER UPDATE ON reviews
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION review_counts_upd();
CREATE TRIGGER review_counts_del AFTER DELETE ON reviews
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION review_counts_del();
CREATE TRIGGER review_counts_truncate AFTER TRUNCATE ON reviews
  FOR EACH STATEMENT EXECUTE FUNCTION review_counts_truncate();

-- Existing reviews.
INSERT INTO review_counts (store_id, rating, has_answer, complaint_status, is_product_active, n)
SELECT store_id, rating, has_answer, complaint_status, is_product_active, count(*)
  FROM reviews GROUP BY 1, 2, 3, 4, 5;
