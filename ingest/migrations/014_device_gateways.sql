-- Devices behind an edge agent (a site gateway): the agent, itself a device of
-- kind 'agent', publishes and takes commands on behalf of each device whose
-- gateway_id names it (broker/src/acl.ts). NULL: the device connects itself.
ALTER TABLE devices ADD COLUMN gateway_id text REFERENCES devices(id);
ALTER TABLE devices ADD CONSTRAINT devices_gateway_not_self CHECK (gateway_id IS NULL OR gateway_id <> id);
CREATE INDEX devices_gateway ON devices (gateway_id) WHERE gateway_id IS NOT NULL;
