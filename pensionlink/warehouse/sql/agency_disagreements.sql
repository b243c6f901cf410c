-- 数据不一致: what two agencies say about one person that cannot both be right.
CREATE TABLE IF NOT EXISTS agency_disagreements (
    citizen_id     VARCHAR,
    name           VARCHAR,
    township       VARCHAR,
    village        VARCHAR,
    kind           VARCHAR,
    agencies       VARCHAR[],
    details        VARCHAR,
    ask            VARCHAR,
    first_seen_run VARCHAR,
    run_id         VARCHAR
);
COMMENT ON TABLE agency_disagreements IS '数据不一致：各部门关于同一人的记录相互矛盾，需相关部门核实更正（每人每类一行）';
COMMENT ON COLUMN agency_disagreements.citizen_id IS '公民身份号码';
COMMENT ON COLUMN agency_disagreements.name IS '姓名';
COMMENT ON COLUMN agency_disagreements.township IS '乡镇街道（户籍，缺失时取参保登记）';
COMMENT ON COLUMN agency_disagreements.village IS '村社区（户籍，缺失时取参保登记）';
COMMENT ON COLUMN agency_disagreements.kind IS '不一致类型：roster_dead_hukou_alive 社保局因死亡终止参保而户籍正常 / medical_dead_hukou_alive 医保因死亡终止而户籍正常 / funeral_dead_hukou_alive 有火化记录而户籍正常 / certificate_dead_hukou_alive 有死亡医学证明而户籍正常 / hukou_dead_later_visit 户籍死亡后仍有本人就诊 / roster_dead_later_visit、medical_dead_later_visit、funeral_dead_later_visit、certificate_dead_later_visit 报告死亡后仍有本人就诊 / death_dates_disagree 各部门死亡日期相差超过政策天数 / roster_terminated_before_death 社保局终止日期早于其他部门的死亡日期';
COMMENT ON COLUMN agency_disagreements.agencies IS '涉及部门';
COMMENT ON COLUMN agency_disagreements.details IS '具体情况（各部门记录及日期）';
COMMENT ON COLUMN agency_disagreements.ask IS '需协调事项：社保局应请哪个部门核实或更正什么';
COMMENT ON COLUMN agency_disagreements.first_seen_run IS '首次发现批次（最早一次发布中出现同一人同一类型的批次号，各晚不变）';
COMMENT ON COLUMN agency_disagreements.run_id IS '批次号';
