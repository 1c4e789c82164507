-- digitbot schema version 2 on PostgreSQL: a server may turn off learning
-- (/config learning off: its confirmed evaluations never become training
-- data). '' means the default, on, as GuildConfig.Learning does.
ALTER TABLE guild_configs ADD COLUMN learning text NOT NULL DEFAULT '';
