import { csvCell, evidenceToCsv, EVIDENCE_CSV_COLUMNS, type EvidenceRecord } from './evidence';

const record: EvidenceRecord = {
  requestId: 'r1',
  itemId: 'i1',
  requester: { id: 'u-alice', kind: 'person' },
  requestedBy: 'u-alice',
  onBehalf: false,
  resourceId: 'db',
  role: 'read',
  justification: 'fix, "urgent"\nnow',
  ticket: null,
  breakGlass: false,
  requestedAt: '2025-03-01T09:00:00.000Z',
  policy: { tier: 2, mode: 'manager' },
  status: 'granted',
  approval: { via: 'reviews', reusedFrom: null, approvedAt: null, approvalExpiresAt: null, deniedBy: null, denialReason: null, breakGlassRatifiedBy: null, reviews: [] },
  grants: [],
};

describe('the evidence CSV', () => {
  it('quotes commas, quotes and line breaks', () => {
    expect(csvCell('fix, "urgent"\nnow')).toBe('"fix, ""urgent""\nnow"');
  });

  it('defuses cells a spreadsheet would run as a formula', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('+cmd')).toBe("'+cmd");
    expect(csvCell(-1)).toBe('-1');
  });

  it('writes one line per item when nothing was granted, with every column', () => {
    const lines = evidenceToCsv([record]).split('\r\n');
    expect(lines[0]!.split(',')).toEqual([...EVIDENCE_CSV_COLUMNS]);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
  });
});

describe('the evidence of verification', () => {
  const grant = {
    grantId: 'g1',
    grantedAt: '2025-03-01T10:00:00.000Z',
    expiresAt: '2025-03-01T12:00:00.000Z',
    expiredAt: null,
    revocationRequestedAt: '2025-03-01T12:00:00.000Z',
    revocationReason: 'expired',
    revokedAt: '2025-03-01T12:05:00.000Z',
    revocationRetainedBy: null,
    revocationAttestedBy: null,
  };
  const row = (g: EvidenceRecord['grants'][number]) => {
    const [header, line] = evidenceToCsv([{ ...record, justification: 'month end', grants: [g] }]).split('\r\n');
    const cells = line!.split(',');
    return Object.fromEntries(header!.split(',').map((name, i) => [name, cells[i]]));
  };

  it('never prints a manually fulfilled grant as verified, and names who vouched for it', () => {
    expect(row({ ...grant, grantVerified: false, grantAttestedBy: 'maria', revocationVerified: false })).toMatchObject({
      grant_verified: 'false',
      grant_attested_by: 'maria',
      revocation_verified: 'false',
    });
  });

  it("never prints 'revoked, verified' for a role kept for another live grant (Dave's admin), and says which grant keeps it", () => {
    expect(row({ ...grant, grantVerified: true, grantAttestedBy: null, revocationVerified: false, revocationRetainedBy: 'r9:i1:1' })).toMatchObject({
      revocation_verified: 'false',
      revocation_retained_by: 'r9:i1:1',
    });
  });

  it('prints a reused approval as reused, pointing at the approval people gave', () => {
    const [header, line] = evidenceToCsv([{ ...record, justification: 'month end', approval: { ...record.approval, via: 'reused_approval', reusedFrom: 'r0/i1' } }]).split('\r\n');
    const cells = Object.fromEntries(header!.split(',').map((name, i) => [name, line!.split(',')[i]]));
    expect(cells).toMatchObject({ approved_via: 'reused_approval', reused_from: 'r0/i1' });
  });

  it('prints a grant the connector checked as verified with nobody attesting', () => {
    expect(row({ ...grant, grantVerified: true, grantAttestedBy: null, revocationVerified: true })).toMatchObject({
      grant_verified: 'true',
      grant_attested_by: '',
      revocation_verified: 'true',
    });
  });
});
