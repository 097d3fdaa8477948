-- The demo provisioning target (docker-compose.yml): the database whose roles the
-- provisioning-connector grants and revokes. Runs once, when the PostgreSQL volume is first made.
CREATE DATABASE kairos_target OWNER kairos;
