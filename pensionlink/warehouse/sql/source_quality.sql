-- 数据质量: per agency file and night, how well it serves the match.
CREATE TABLE IF NOT EXISTS source_quality (
    source               VARCHAR,
    agency               VARCHAR,
    title                VARCHAR,
    file                 VARCHAR,
    stale                BOOLEAN,
    note                 VARCHAR,
    rows_read            BIGINT,
    rows_rejected        BIGINT,
    ids_valid            BIGINT,
    ids_repaired         BIGINT,
    ids_invalid          BIGINT,
    ids_mangled          BIGINT,
    ids_empty            BIGINT,
    rows_linked          BIGINT,
    rows_unlinked        BIGINT,
    expectations         BIGINT,
    expectations_failed  BIGINT,
    expectation_failures VARCHAR[],
    run_id               VARCHAR
);
COMMENT ON TABLE source_quality IS '数据质量：各部门各来源文件每晚的读取、身份证号与比对情况';
COMMENT ON COLUMN source_quality.source IS '来源 source name';
COMMENT ON COLUMN source_quality.agency IS '提供部门 agency';
COMMENT ON COLUMN source_quality.title IS '数据名称 what the file holds';
COMMENT ON COLUMN source_quality.file IS '文件 file (relative to the drop folder)';
COMMENT ON COLUMN source_quality.stale IS '是否沿用上次有效数据 last accepted delivery stood in';
COMMENT ON COLUMN source_quality.note IS '说明（未送达、拒收原因、未变化） note: not delivered, rejection reason, unchanged';
COMMENT ON COLUMN source_quality.rows_read IS '读取行数 data rows read tonight';
COMMENT ON COLUMN source_quality.rows_rejected IS '拒收行数 rows rejected';
COMMENT ON COLUMN source_quality.ids_valid IS '身份证号有效 IDs valid as delivered';
COMMENT ON COLUMN source_quality.ids_repaired IS '身份证号经修复（15位转18位、全角、小写x、空格） IDs repaired';
COMMENT ON COLUMN source_quality.ids_invalid IS '身份证号无效（校验位错误等） IDs invalid';
COMMENT ON COLUMN source_quality.ids_mangled IS '身份证号被表格软件破坏（科学计数法） IDs mangled by a spreadsheet';
COMMENT ON COLUMN source_quality.ids_empty IS '身份证号为空 IDs empty';
COMMENT ON COLUMN source_quality.rows_linked IS '比对到人的行数 rows linked to a person';
COMMENT ON COLUMN source_quality.rows_unlinked IS '未比对到人的行数 rows left unlinked';
COMMENT ON COLUMN source_quality.expectations IS '数据校验规则数 expectations checked';
COMMENT ON COLUMN source_quality.expectations_failed IS '未通过的校验规则数 expectations failed';
COMMENT ON COLUMN source_quality.expectation_failures IS '未通过的校验规则（不含原始值） failed expectations, without values';
COMMENT ON COLUMN source_quality.run_id IS '运行编号 run';
-- Added for issue 13: status histories that do not hold together (status_changes only).
ALTER TABLE source_quality ADD COLUMN IF NOT EXISTS inconsistent_histories BIGINT;
COMMENT ON COLUMN source_quality.inconsistent_histories IS '变更记录前后矛盾的人数（仅参保状态变更来源） people whose status history contradicts itself';
