/**
 * One worker of `main.ts`: this module's `serve` on the shared port
 * (`reusePort`), topics through a `BroadcastChannel` shared with the other
 * workers. `GET /` answers which worker served it; a WebSocket on
 * `/topics/NAME` is subscribed to topic NAME, and what it sends is
 * published there (to every worker's members).
 *
 * @module
 */
import { serve, upgradeWebSocket } from "../../mod.ts";
import { BroadcastChannelEngine, PubSub } from "../../pubsub/mod.ts";

interface Start {
  id: number;
  hostname: string;
  port: number;
}

const self = globalThis as unknown as {
  onmessage: ((event: MessageEvent<Start>) => void) | null;
  postMessage(message: unknown): void;
};

self.onmessage = ({ data: { id, hostname, port } }) => {
  const pubsub = new PubSub({ engine: new BroadcastChannelEngine({ prefix: "cluster" }) });
  serve({
    hostname,
    port,
    reusePort: true,
    onListen: () => self.postMessage("listening"),
  }, (request) => {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith("/topics/")) return new Response(`worker ${id}\n`);
    const topic = decodeURIComponent(pathname.slice("/topics/".length));
    const { response, socket } = upgradeWebSocket(request);
    socket.onopen = () => {
      void pubsub.subscribe(socket, topic).then(() => socket.send(`worker ${id}`));
    };
    socket.onmessage = (event) => {
      if (typeof event.data === "string") void pubsub.publish(topic, event.data);
    };
    return response;
  });
};
