DROP TABLE qc_review_items;
DROP TABLE qc_reviews;
