import type { Tier, TierSettings, TierTable } from '@kairos/approval-policy-domain';

/** The five tiers of the catalogue; every write bumps the policy version. */
export interface TierCatalogue {
  tiers(): Promise<TierTable>;
  policyVersion(): Promise<number>;
  /** Returns the new policy version. */
  saveTier(tier: Tier, settings: TierSettings): Promise<number>;
}
