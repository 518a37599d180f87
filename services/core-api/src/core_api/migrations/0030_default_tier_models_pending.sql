-- Spend limits (issue 12): the models a tier may use, the default tier every
-- new workspace starts on, and a paid-tier move that waits for payment.

-- NULL: any model (the tiers made before this migration keep their freedom).
ALTER TABLE core.tiers ADD COLUMN models text[];

-- The default tier: a finite monthly AI budget; admins edit it like any tier.
-- (core-api re-creates it from its settings when a factory reset took it.)
INSERT INTO core.tiers (code, name, price_monthly, ai_tokens_monthly, flows, members, models)
VALUES ('free', 'Free', 0, 50000, 3, 3, ARRAY['gpt-4o-mini'])
ON CONFLICT (code) DO NOTHING;

-- An owner's move to a paid tier: recorded here until an admin or the billing
-- webhook activates it; the subscription keeps its current tier meanwhile.
ALTER TABLE core.subscriptions ADD COLUMN pending_tier_id uuid REFERENCES core.tiers (id);
