import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '@vigil/schemas';
import {
  createEmailChannel,
  createInAppChannel,
  createSmppChannel,
  createWebhookChannel,
  webhookSignature,
  type ChannelSink,
  type OutgoingMessage,
} from '../src/notifications/index.js';
import { startSilentServer, startSmsc, startSmtpServer, startWebhookServer, waitFor } from './notify-servers.js';

const alertSummary = {
  id: newId(),
  rule: 'zone.exclusion',
  severity: 'high' as const,
  site: 'prison-a',
  dev: 'tag-1',
  subject: 'p-1',
  title: { en: 'Exclusion zone entered', 'zh-CN': '进入禁区' },
  raised_ts: Date.now(),
};

function message(over: Partial<OutgoingMessage>): OutgoingMessage {
  return { id: newId(), channel: 'email', kind: 'single', address: 'x', userId: 'u1', lang: 'en', subject: 'S', text: 'T', body: 'B', alerts: [alertSummary], ...over };
}

const signal = () => AbortSignal.timeout(5000);

describe('email over SMTP (nodemailer -> smtp-server)', () => {
  test('the relay receives the message in the recipient language, with the link', async () => {
    const smtp = await startSmtpServer();
    const ch = createEmailChannel({ host: '127.0.0.1', port: smtp.port, ignoreTls: true, from: 'vigil@example.org' });
    try {
      const msg = message({ address: 'officer@example.org', lang: 'zh-CN', subject: '【Vigil】高：进入禁区', body: '进入禁区 https://v/m/abc\n' });
      const res = await ch.send(msg, signal());
      assert.equal(res.delivered, true);
      assert.equal(smtp.mails.length, 1);
      const mail = smtp.mails[0]!;
      assert.equal(mail.subject, '【Vigil】高：进入禁区');
      assert.equal(mail.text?.trim(), '进入禁区 https://v/m/abc');
      assert.equal(mail.headers.get('x-vigil-notification'), msg.id);
      assert.equal(mail.headers.get('content-language'), 'zh-CN');
      assert.equal((mail.to as { text: string }).text, 'officer@example.org');
    } finally {
      await ch.close();
      await smtp.close();
    }
  });
  test('a relay that is down fails the send with a retryable error', async () => {
    const silent = await startSilentServer();
    const port = silent.port;
    await silent.close(); // nothing listens there now
    const ch = createEmailChannel({ host: '127.0.0.1', port, ignoreTls: true, from: 'vigil@example.org', timeoutMs: 1000 });
    await assert.rejects(ch.send(message({ address: 'a@example.org' }), signal()), (e: Error & { code?: string; permanent?: boolean }) => e.code === 'VIGIL_NOTIFY_CHANNEL_DOWN' && e.permanent === false);
    await ch.close();
  });
});

describe('SMS over SMPP (smpp client -> smpp server)', () => {
  let smsc: Awaited<ReturnType<typeof startSmsc>>;
  let ch: ReturnType<typeof createSmppChannel>;
  const delivered: string[] = [];
  const replies: { from: string; text: string }[] = [];
  const sink: ChannelSink = { delivered: (_c, id) => delivered.push(id), reply: (_c, from, text) => replies.push({ from, text }) };
  before(async () => {
    smsc = await startSmsc({ systemId: 'vigil', password: 'pw' });
    ch = createSmppChannel({ url: `smpp://127.0.0.1:${smsc.port}`, systemId: 'vigil', password: 'pw', sourceAddr: '10690001', reconnectMs: 100 });
    ch.attach?.(sink);
    await ch.whenBound();
  });
  after(async () => {
    await ch.close();
    await smsc.close();
  });

  test('English within 160 GSM characters goes as one part', async () => {
    const text = '[Vigil] HIGH Exclusion zone entered, prison-a p-1 10:30. Reply 0427 to acknowledge. https://vigil.example/m/AAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB';
    assert.ok(text.length <= 160);
    const res = await ch.send(message({ channel: 'sms', address: '8613800000001', text }), signal());
    await waitFor(() => smsc.sms.length === 1, 5000, 'sms');
    const got = smsc.sms[0]!;
    assert.deepEqual({ to: got.to, from: got.from, dataCoding: got.dataCoding, parts: got.parts.length, text: got.text }, { to: '8613800000001', from: '10690001', dataCoding: 0, parts: 1, text });
    // The SMSC's delivery receipt marks it delivered.
    await waitFor(() => delivered.includes(res.providerId!), 5000, 'receipt');
  });

  test('Chinese over 70 characters goes as concatenated UCS-2 parts of at most 67, reassembled intact', async () => {
    const text = '【Vigil】高 进入禁区：围墙周界，prison-a p-1 10:30。回复0427确认。 https://vigil.example/m/AAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB';
    assert.ok(text.length > 70);
    const before = smsc.sms.length;
    const res = await ch.send(message({ channel: 'sms', address: '8613800000002', text, lang: 'zh-CN' }), signal());
    await waitFor(() => smsc.sms.length === before + 1, 5000, 'sms');
    const got = smsc.sms.at(-1)!;
    assert.equal(got.dataCoding, 8);
    assert.equal(got.parts.length, Math.ceil(text.length / 67));
    assert.ok(got.parts.length >= 2);
    assert.ok(got.parts.every((p) => p.length <= 67));
    assert.equal(got.text, text);
    assert.equal(res.providerId, got.messageIds.join(','));
  });

  test('a reply from the phone reaches the runner; the link comes back after a drop', async () => {
    await smsc.mo('8613800000001', '10690001', '0427');
    await waitFor(() => replies.length === 1, 5000, 'reply');
    assert.deepEqual(replies[0], { from: '8613800000001', text: '0427' });
    smsc.dropSessions();
    await waitFor(() => !ch.isBound(), 5000, 'unbound');
    await assert.rejects(ch.send(message({ channel: 'sms', address: '861', text: 'x' }), signal()), /not bound/);
    await ch.whenBound();
    await ch.send(message({ channel: 'sms', address: '8613800000003', text: 'back' }), signal());
    await waitFor(() => smsc.sms.some((s) => s.to === '8613800000003'), 5000, 'sms after rebind');
  });
});

describe('webhook', () => {
  test('signed with HMAC-SHA256 over timestamp and body; 5xx retryable, 4xx permanent', async () => {
    const hook = await startWebhookServer([503, 400]);
    const ch = createWebhookChannel({ gov: { url: hook.url, secret: 's3cret' } });
    try {
      const msg = message({ channel: 'webhook', address: 'gov', userId: null });
      await assert.rejects(ch.send(msg, signal()), (e: Error & { permanent?: boolean }) => /HTTP 503/.test(e.message) && e.permanent === false);
      await assert.rejects(ch.send(msg, signal()), (e: Error & { permanent?: boolean }) => /HTTP 400/.test(e.message) && e.permanent === true);
      const ok = await ch.send(msg, signal());
      assert.equal(ok.delivered, true);
      const r = hook.requests[2]!;
      const ts = Number(r.headers['x-vigil-timestamp']);
      assert.equal(r.headers['x-vigil-signature'], webhookSignature('s3cret', ts, r.body));
      assert.notEqual(r.headers['x-vigil-signature'], webhookSignature('wrong', ts, r.body));
      assert.equal(r.headers['x-vigil-delivery'], msg.id);
      assert.equal(JSON.parse(r.body).alerts[0].id, alertSummary.id);
      await assert.rejects(ch.send(message({ channel: 'webhook', address: 'unknown' }), signal()), (e: Error & { permanent?: boolean }) => e.permanent === true);
    } finally {
      await hook.close();
    }
  });
});

describe('in-app', () => {
  test('delivered to the pages of that user only', async () => {
    const ch = createInAppChannel();
    const got: string[] = [];
    const off = ch.subscribe('u1', (e) => got.push(e.subject));
    assert.equal((await ch.send(message({ channel: 'in-app', address: 'u1', subject: 'hello' }), signal())).delivered, true);
    assert.equal((await ch.send(message({ channel: 'in-app', address: 'u2', subject: 'other' }), signal())).delivered, false);
    off();
    assert.deepEqual(got, ['hello']);
    await ch.close();
  });
});
