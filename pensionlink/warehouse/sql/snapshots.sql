-- 上次有效数据: each source's last accepted delivery, so a bad or missing file never
-- erases what earlier nights delivered, and an unchanged file is not parsed again.
-- Kept apart from the analysts' tables (schema `snapshots`): it holds raw personal data.
CREATE SCHEMA IF NOT EXISTS snapshots;

CREATE TABLE IF NOT EXISTS snapshots.deliveries (
    source      VARCHAR PRIMARY KEY,
    file        VARCHAR,
    checksum    VARCHAR,
    encoding    VARCHAR,
    rows_read   BIGINT,
    run_id      VARCHAR,
    accepted_at TIMESTAMP
);
COMMENT ON TABLE snapshots.deliveries IS '各来源最近一次被接受的文件 last accepted delivery of each source';
COMMENT ON COLUMN snapshots.deliveries.source IS '来源 source name';
COMMENT ON COLUMN snapshots.deliveries.file IS '文件（相对送达文件夹） file, relative to the drop folder';
COMMENT ON COLUMN snapshots.deliveries.checksum IS '文件SHA-256校验值 SHA-256 of the file bytes';
COMMENT ON COLUMN snapshots.deliveries.encoding IS '文件编码 encoding detected';
COMMENT ON COLUMN snapshots.deliveries.rows_read IS '读取行数 data rows read';
COMMENT ON COLUMN snapshots.deliveries.run_id IS '接受该文件的运行 run that accepted it';
COMMENT ON COLUMN snapshots.deliveries.accepted_at IS '接受时间 when it was accepted';

CREATE TABLE IF NOT EXISTS snapshots.rejected_rows (
    source   VARCHAR,
    file     VARCHAR,
    line     BIGINT,
    "column" VARCHAR,
    value    VARCHAR,
    reason   VARCHAR
);
COMMENT ON TABLE snapshots.rejected_rows IS '最近一次被接受文件中的拒收行 rows rejected from the last accepted delivery';
COMMENT ON COLUMN snapshots.rejected_rows.source IS '来源 source name';
COMMENT ON COLUMN snapshots.rejected_rows.file IS '文件 file';
COMMENT ON COLUMN snapshots.rejected_rows.line IS '行号（表头为第1行） line number, header = 1';
COMMENT ON COLUMN snapshots.rejected_rows."column" IS '列（中文表头） column, Chinese header';
COMMENT ON COLUMN snapshots.rejected_rows.value IS '原值 value as delivered';
COMMENT ON COLUMN snapshots.rejected_rows.reason IS '拒收原因 reason';
