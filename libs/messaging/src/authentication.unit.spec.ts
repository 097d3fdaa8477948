import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { Message } from 'kafkajs';
import { generateMessageKey, messageKeys, type GeneratedMessageKey, type TrustedKey } from '@kairos/config';
import { TOPICS, type MessageProducer } from '@kairos/contracts';
import { KEY_ID_HEADER, MessageSigner, MessageVerifier, SIGNATURE_HEADER, type SignableRecord } from './authentication';
import { toKafkaMessage, type OutgoingMessage } from './envelope';

const key = (producer: MessageProducer, keyId = `${producer}-1`) => generateMessageKey(producer, keyId);
const requestService = key('request-service');
const approvals = key('approval-policy-service');
const trust = (...keys: GeneratedMessageKey[]) =>
  new MessageVerifier(new Map<string, TrustedKey>(keys.map((k) => [k.keyId, { producer: k.producer, publicKey: createPublicKey(k.publicKeyPem) }])));
const signerOf = (k: GeneratedMessageKey) => new MessageSigner(k.keyId, createPrivateKey(k.privateKeyPem));
const verifier = trust(requestService, approvals);

const grantRequested: OutgoingMessage = {
  topic: TOPICS.accessRequestEvents,
  key: 'req-1',
  id: 'evt-1',
  type: 'GrantRequested',
  subject: 'req-1',
  time: '2026-01-05T10:00:00.000Z',
  source: 'urn:kairos:request-service',
  data: { requestId: 'req-1', grantId: 'g-1', subject: { id: 'alice', kind: 'person' }, role: 'readonly' },
};

function signed(by: GeneratedMessageKey, message: OutgoingMessage = grantRequested, topic = message.topic): Message {
  const record = toKafkaMessage(message);
  return { ...record, headers: { ...record.headers, ...signerOf(by).signatureHeaders(topic, record) } };
}

const asReceived = (record: Message): SignableRecord => ({
  key: record.key === undefined || record.key === null ? null : Buffer.from(record.key),
  value: record.value === null ? null : Buffer.from(record.value),
  headers: Object.fromEntries(Object.entries(record.headers ?? {}).map(([name, value]) => [name, Buffer.from(String(value))])),
});

describe('message signatures', () => {
  it('accepts a message signed by the producer that owns the topic', () => {
    expect(verifier.verify(TOPICS.accessRequestEvents, asReceived(signed(requestService)))).toEqual({ ok: true, producer: 'request-service', keyId: 'request-service-1' });
  });

  it('refuses an unsigned message', () => {
    const result = verifier.verify(TOPICS.accessRequestEvents, asReceived(toKafkaMessage(grantRequested)));
    expect(result).toMatchObject({ ok: false, refusal: 'unsigned' });
  });

  it('refuses a message whose value was tampered with after signing (a widened role)', () => {
    const record = signed(requestService);
    const tampered = { ...record, value: JSON.stringify({ ...(grantRequested.data as object), role: 'owner' }) };
    expect(verifier.verify(TOPICS.accessRequestEvents, asReceived(tampered))).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it.each(['ce_type', 'ce_id', 'ce_subject', 'ce_time', 'ce_source'])('refuses a message whose %s header was tampered with', (header) => {
    const record = signed(requestService);
    const tampered = { ...record, headers: { ...record.headers, [header]: 'RevocationRequested' } };
    expect(verifier.verify(TOPICS.accessRequestEvents, asReceived(tampered))).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses a message moved to another record key (another request)', () => {
    const record = { ...signed(requestService), key: 'req-2' };
    expect(verifier.verify(TOPICS.accessRequestEvents, asReceived(record))).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses a signature made by another key under a trusted key id (wrong key)', () => {
    const impostor = key('request-service', requestService.keyId);
    expect(verifier.verify(TOPICS.accessRequestEvents, asReceived(signed(impostor)))).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses a key id nobody trusts', () => {
    const stranger = key('request-service', 'attacker-key');
    expect(verifier.verify(TOPICS.accessRequestEvents, asReceived(signed(stranger)))).toMatchObject({ ok: false, refusal: 'unknown_key', keyId: 'attacker-key' });
  });

  it("refuses a valid signature by another producer's key (the policy service cannot forge request events)", () => {
    const result = verifier.verify(TOPICS.accessRequestEvents, asReceived(signed(approvals)));
    expect(result).toMatchObject({ ok: false, refusal: 'wrong_producer' });
    expect(!result.ok && result.reason).toMatch(/belongs to approval-policy-service, but only request-service may produce on access-request\.events/);
  });

  it('refuses a genuine ReviewSubmitted replayed to another topic', () => {
    const review: OutgoingMessage = { ...grantRequested, topic: TOPICS.approvalDecisions, type: 'ReviewSubmitted' };
    const record = signed(approvals, review);
    expect(verifier.verify(TOPICS.approvalDecisions, asReceived(record)).ok).toBe(true);
    expect(verifier.verify(TOPICS.provisioningResults, asReceived(record))).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses a smuggled second ce_type header the signer never saw', () => {
    const record = asReceived(signed(requestService));
    const headers = { ...record.headers, ce_type: [Buffer.from('GrantRequested'), Buffer.from('RevocationRequested')] };
    expect(verifier.verify(TOPICS.accessRequestEvents, { ...record, headers })).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses a signature that is not base64 of a signature at all', () => {
    const record = signed(requestService);
    const garbled = { ...record, headers: { ...record.headers, [SIGNATURE_HEADER]: '!!not-a-signature!!' } };
    expect(verifier.verify(TOPICS.accessRequestEvents, asReceived(garbled))).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses any message on a topic no service may produce', () => {
    const record = signed(requestService, { ...grantRequested, topic: 'made-up.topic' });
    expect(verifier.verify('made-up.topic', asReceived(record))).toMatchObject({ ok: false, refusal: 'wrong_producer' });
  });

  it('never puts an unprintable key id into its reason', () => {
    const record = signed(requestService);
    const odd = { ...record, headers: { ...record.headers, [KEY_ID_HEADER]: 'x"\n}{' } };
    const result = verifier.verify(TOPICS.accessRequestEvents, asReceived(odd));
    expect(!result.ok && result.reason).toBe('key id "x????" is not a trusted key');
  });

  it('signs and verifies with keys read from configuration', () => {
    const keys = messageKeys({
      MESSAGE_SIGNING_KEY: requestService.privateKeyPem,
      MESSAGE_SIGNING_KEY_FILE: '',
      MESSAGE_SIGNING_KEY_ID: requestService.keyId,
      MESSAGE_TRUSTED_KEYS: JSON.stringify({ [requestService.keyId]: { producer: 'request-service', publicKey: requestService.publicKeyPem } }),
      MESSAGE_TRUSTED_KEYS_FILE: '',
    });
    const record = toKafkaMessage(grantRequested);
    const headers = { ...record.headers, ...new MessageSigner(keys.signing.keyId, keys.signing.privateKey).signatureHeaders(grantRequested.topic, record) };
    expect(new MessageVerifier(keys.trusted).verify(grantRequested.topic, asReceived({ ...record, headers })).ok).toBe(true);
  });
});
