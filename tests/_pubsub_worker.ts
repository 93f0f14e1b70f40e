/**
 * A Web Worker serving a `PubSub` over a `BroadcastChannelEngine`: a second
 * worker of the test's process. Posts `{ port }` once listening; on any
 * message it shuts down and posts `"stopped"`.
 */
/// <reference lib="deno.worker" />
import { BroadcastChannelEngine } from "../pubsub/broadcast_channel_engine.ts";
import { PubSub } from "../pubsub/pubsub.ts";
import { startPubSubServer } from "./_pubsub.ts";

const pubsub = new PubSub({ engine: new BroadcastChannelEngine({ prefix: "worker-test" }) });
const server = startPubSubServer(pubsub, {}, [], (socket) => {
  socket.onmessage = (event) => void pubsub.publish("room", `worker: ${event.data}`);
});
self.postMessage({ port: server.addr.port });
self.onmessage = async () => {
  await pubsub.close();
  await server.shutdown();
  self.postMessage("stopped");
};
