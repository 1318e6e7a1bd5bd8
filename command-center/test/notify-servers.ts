import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import smpp, { type PDU, type Session } from 'smpp';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server (smtp-server) that parses what it receives (mailparser). */
export async function startSmtpServer(): Promise<{ port: number; mails: (ParsedMail & { receivedAt: number })[]; close(): Promise<void> }> {
  const mails: (ParsedMail & { receivedAt: number })[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      simpleParser(stream)
        .then((m) => {
          mails.push(Object.assign(m, { receivedAt: Date.now() }));
          cb();
        })
        .catch((err: Error) => cb(err));
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A TCP server that accepts and never says a word: a mail relay (or anything) that hangs. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** One SMS as the SMSC received it: the parts, reassembled by their concatenation reference. */
export interface ReceivedSms {
  to: string;
  from: string;
  dataCoding: number;
  parts: string[];
  text: string;
  messageIds: string[];
  receivedAt: number;
}

/**
 * An SMSC simulator on the `smpp` package's own server: binds transceivers
 * (checking the password), answers submit_sm with a message id, reassembles
 * concatenated parts, sends a delivery receipt (deliver_sm, esm_class 0x04)
 * for each part, and can send a reply from a phone (`mo`).
 */
export async function startSmsc(opts: { systemId: string; password: string; receipts?: boolean }): Promise<{
  port: number;
  sms: ReceivedSms[];
  pdus: PDU[];
  mo(from: string, to: string, text: string): Promise<void>;
  dropSessions(): void;
  close(): Promise<void>;
}> {
  const sms: ReceivedSms[] = [];
  const pdus: PDU[] = [];
  const sessions = new Set<Session>();
  const pending = new Map<string, { parts: (string | undefined)[]; ids: string[] }>();
  let nextId = 1000;
  const server = smpp.createServer((session) => {
    session.on('error', () => undefined);
    session.on('close', () => sessions.delete(session));
    session.on('bind_transceiver', (pdu: PDU) => {
      if (pdu.system_id !== opts.systemId || pdu.password !== opts.password) {
        session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
        session.close();
        return;
      }
      sessions.add(session);
      session.send(pdu.response({ system_id: 'smsc-sim' }));
    });
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('deliver_sm_resp', () => undefined);
    session.on('submit_sm', (pdu: PDU) => {
      pdus.push(pdu);
      const id = String(nextId++);
      session.send(pdu.response({ message_id: id }));
      const sm = pdu.short_message as { message: string; udh?: Buffer[] };
      const to = String(pdu.destination_addr);
      const udh = sm.udh?.find((u) => u[0] === 0x00);
      let done: { parts: string[]; ids: string[] } | null = null;
      if (udh) {
        const key = `${to}:${udh[2]}`;
        const p = pending.get(key) ?? { parts: new Array<string | undefined>(udh[3]!).fill(undefined), ids: [] };
        p.parts[udh[4]! - 1] = sm.message;
        p.ids.push(id);
        pending.set(key, p);
        if (p.parts.every((x) => x !== undefined)) {
          pending.delete(key);
          done = { parts: p.parts as string[], ids: p.ids };
        }
      } else done = { parts: [sm.message], ids: [id] };
      if (done) {
        sms.push({ to, from: String(pdu.source_addr), dataCoding: pdu.data_coding as number, parts: done.parts, text: done.parts.join(''), messageIds: done.ids, receivedAt: Date.now() });
      }
      if (opts.receipts !== false) {
        setImmediate(() =>
          session.send(
            new smpp.PDU('deliver_sm', {
              source_addr: to,
              destination_addr: String(pdu.source_addr),
              esm_class: 0x04,
              short_message: `id:${id} sub:001 dlvrd:001 submit date:2611261200 done date:2611261200 stat:DELIVRD err:000 text:`,
              receipted_message_id: id,
            }),
          ),
        );
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    sms,
    pdus,
    mo(from, to, text) {
      const s = [...sessions][0];
      if (!s) return Promise.reject(new Error('no bound session'));
      return new Promise((resolve) => s.send(new smpp.PDU('deliver_sm', { source_addr: from, destination_addr: to, short_message: text }), () => resolve()));
    },
    dropSessions() {
      for (const s of sessions) s.destroy();
    },
    close() {
      for (const s of sessions) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** An HTTP receiver of webhooks that answers `statuses` in turn (then 200). */
export async function startWebhookServer(statuses: number[] = []): Promise<{
  url: string;
  requests: { headers: IncomingHttpHeaders; body: string; status: number; at: number }[];
  close(): Promise<void>;
}> {
  const requests: { headers: IncomingHttpHeaders; body: string; status: number; at: number }[] = [];
  const queue = [...statuses];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const status = queue.length ? queue.shift()! : 200;
      requests.push({ headers: req.headers, body, status, at: Date.now() });
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolve once `cond()` is true; reject after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
