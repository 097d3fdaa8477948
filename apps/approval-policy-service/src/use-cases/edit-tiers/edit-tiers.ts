import { TIERS, type Tier, type TierSettings } from '@kairos/approval-policy-domain';
import { refuse } from '@kairos/refusal';
import { validateSettings } from '../../domain/settings-validation';
import type { TierCatalogue } from './ports';

const tierOf = (value: number): Tier => {
  if (!(TIERS as readonly number[]).includes(value)) throw refuse.notFound('TIER_NOT_FOUND', `tiers are 0 to 4, not ${value}`);
  return value as Tier;
};

/** The five sensitivity tiers, seeded with the defaults and edited by admins; there is no sixth. */
export class EditTiers {
  constructor(private readonly catalogue: TierCatalogue) {}

  async list(): Promise<{ items: { tier: Tier; settings: TierSettings }[]; policyVersion: number }> {
    const table = await this.catalogue.tiers();
    return { items: TIERS.map((tier) => ({ tier, settings: table[tier] })), policyVersion: await this.catalogue.policyVersion() };
  }

  async get(tier: number): Promise<{ tier: Tier; settings: TierSettings }> {
    const table = await this.catalogue.tiers();
    const key = tierOf(tier);
    return { tier: key, settings: table[key] };
  }

  /** `settings` are the whole settings of the tier, as sent: checked before anything is written. */
  async replace(tier: number, settings: unknown): Promise<{ tier: Tier; settings: TierSettings; policyVersion: number }> {
    const key = tierOf(tier);
    const problems = validateSettings(settings, 'settings', true);
    if (problems.length > 0) throw refuse.invalid('VALIDATION_FAILED', `${problems.length} field(s) are not valid`, { errors: problems });
    return { tier: key, settings: settings as TierSettings, policyVersion: await this.catalogue.saveTier(key, settings as TierSettings) };
  }
}
