"""The warehouse (数据仓库): the one place SQL runs, the table definitions (`sql/*.sql`),
the named queries, publishing a night, the analysts' copy and the database key."""
