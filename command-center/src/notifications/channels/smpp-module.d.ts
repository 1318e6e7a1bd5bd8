// Types for the parts of the `smpp` package (node-smpp, SMPP 3.4/5.0) that notifications use.
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server } from 'node:net';

  export interface PDU {
    command: string;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    response(options?: Record<string, unknown>): PDU;
    isResponse(): boolean;
  }
  export interface PDUConstructor {
    new (command: string, options?: Record<string, unknown>): PDU;
  }
  export interface Session extends EventEmitter {
    send(pdu: PDU, responseCallback?: (resp: PDU) => void, sendCallback?: () => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
  }
  export interface SmppServer extends Server {
    on(event: 'session', listener: (session: Session) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  export interface ConnectOptions {
    url: string;
    auto_enquire_link_period?: number;
    connectTimeout?: number;
  }
  const smpp: {
    connect(options: ConnectOptions, listener?: () => void): Session;
    createServer(listener?: (session: Session) => void): SmppServer;
    createServer(options: Record<string, unknown>, listener?: (session: Session) => void): SmppServer;
    PDU: PDUConstructor;
    ESME_ROK: number;
    ESME_RBINDFAIL: number;
    ESME_RTHROTTLED: number;
    ESME_RINVDSTADR: number;
  };
  export default smpp;
}
