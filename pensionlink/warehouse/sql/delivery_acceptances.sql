-- 送达文件人工接受: a delivery the guards held, taken deliberately by an operator
-- (`pensionlink accept`). The next run that finds a file with this checksum lets it past
-- the guards, and it becomes the source's snapshot. Kept forever (audit).
CREATE TABLE IF NOT EXISTS delivery_acceptances (
    source      VARCHAR,
    file        VARCHAR,
    checksum    VARCHAR,
    run_id      VARCHAR,
    held_reason VARCHAR,
    accepted_by VARCHAR,
    reason      VARCHAR,
    accepted_at TIMESTAMP
);
COMMENT ON TABLE delivery_acceptances IS '送达文件人工接受：被暂缓采用的文件经操作员核实后接受，下次运行采用并作为上次有效数据';
COMMENT ON COLUMN delivery_acceptances.source IS '来源 source name';
COMMENT ON COLUMN delivery_acceptances.file IS '文件（相对送达文件夹） file, relative to the drop folder';
COMMENT ON COLUMN delivery_acceptances.checksum IS '被接受文件的SHA-256校验值（取自该次运行记录） SHA-256 of the accepted file';
COMMENT ON COLUMN delivery_acceptances.run_id IS '暂缓采用该文件的运行批次号 run that held it';
COMMENT ON COLUMN delivery_acceptances.held_reason IS '暂缓原因 why it was held';
COMMENT ON COLUMN delivery_acceptances.accepted_by IS '接受人 who accepted it';
COMMENT ON COLUMN delivery_acceptances.reason IS '接受理由 why it was accepted';
COMMENT ON COLUMN delivery_acceptances.accepted_at IS '接受时间 when';
