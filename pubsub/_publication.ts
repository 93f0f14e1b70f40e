/**
 * One published message on its way to many members. Not exported from
 * `mod.ts`.
 *
 * @module
 */

import type { _FanoutMember } from "../broadcast/_fanout.ts";

/** A message as members receive it, prepared once for all of them. */
export class _Publication {
  readonly payload: string | Uint8Array;

  constructor(payload: string | Uint8Array) {
    this.payload = payload;
  }

  /** Hand the message to one member. */
  sendTo(member: _FanoutMember<_Publication>): void {
    member.socket.send(this.payload);
  }
}
