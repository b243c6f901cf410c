-- 人员比对结果: which person each source record was resolved to.
CREATE TABLE IF NOT EXISTS person_links (
    source      VARCHAR,
    line_no     BIGINT,
    id_status   VARCHAR,
    person_id   VARCHAR,
    link_method VARCHAR,
    link_note   VARCHAR,
    run_id      VARCHAR
);
-- added with the probabilistic pass (migration for older databases)
ALTER TABLE person_links ADD COLUMN IF NOT EXISTS score DOUBLE;
COMMENT ON COLUMN person_links.score IS '匹配概率（概率比对与人工复核时） match probability, for probabilistic links';
COMMENT ON TABLE person_links IS '人员比对结果：每条来源记录对应的户籍人员';
COMMENT ON COLUMN person_links.source IS '来源文件';
COMMENT ON COLUMN person_links.line_no IS '来源文件行号（表头为第1行）';
COMMENT ON COLUMN person_links.id_status IS '身份证号状态：valid 有效 / repaired 已修复 / invalid 无效 / mangled 科学计数法损坏 / empty 空';
COMMENT ON COLUMN person_links.person_id IS '对应人员的公民身份号码（未匹配为空）';
COMMENT ON COLUMN person_links.link_method IS '匹配方式：id 身份证号 / id_unregistered 身份证号（非本市户籍）/ attributes 姓名性别日期唯一匹配';
COMMENT ON COLUMN person_links.link_note IS '匹配说明';
COMMENT ON COLUMN person_links.run_id IS '批次号';
