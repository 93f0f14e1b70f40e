/** A throwaway certificate authority and a server certificate for 127.0.0.1, made with openssl. */

const SCRIPT = `set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \\
  -subj /CN=edgews-test-ca -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \\
  -subj /CN=localhost -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \\
  -extfile ext.cnf -out server.pem 2>/dev/null
cat ca.pem; echo '-----SPLIT-----'; cat server.pem; echo '-----SPLIT-----'; cat server.key
`;

/** PEM strings: the CA to trust, and the server's certificate and key. */
export interface TestCertificates {
  ca: string;
  cert: string;
  key: string;
}

/** Generate fresh certificates (needs the `openssl` command). */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: ["-c", SCRIPT],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
  }
  const [ca, cert, key] = new TextDecoder().decode(stdout).split("-----SPLIT-----\n");
  if (!ca || !cert || !key) throw new Error("openssl printed no certificates");
  return { ca, cert, key };
}

const CHAIN_SCRIPT = `set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
key root.key; key inter.key; key leaf.key
openssl req -x509 -key root.key -days 2 -subj /CN=edgews-test-root -out root.pem \\
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -key inter.key -subj /CN=edgews-test-intermediate -out inter.csr 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\\nkeyUsage=critical,keyCertSign,cRLSign\\n' > inter.cnf
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -CAcreateserial -days 2 \\
  -extfile inter.cnf -out inter.pem 2>/dev/null
openssl req -new -key leaf.key -subj /CN=localhost -out leaf.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > leaf.cnf
openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key -CAcreateserial -days 2 \\
  -extfile leaf.cnf -out leaf.pem 2>/dev/null
cat root.pem; echo '-----SPLIT-----'; cat inter.pem; echo '-----SPLIT-----'; cat leaf.pem
echo '-----SPLIT-----'; cat leaf.key
`;

/** A root CA, an intermediate it signed, and a server certificate the intermediate signed. */
export interface TestChain {
  /** The root, the only certificate a client trusts. */
  root: string;
  intermediate: string;
  /** The server's own certificate (without the intermediate). */
  leaf: string;
  key: string;
}

/** Generate a fresh three-level chain, as a CA issues one (needs the `openssl` command). */
export async function makeTestChain(): Promise<TestChain> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: ["-c", CHAIN_SCRIPT],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
  const [root, intermediate, leaf, key] = new TextDecoder().decode(stdout).split(
    "-----SPLIT-----\n",
  );
  if (!root || !intermediate || !leaf || !key) throw new Error("openssl printed no certificates");
  return { root, intermediate, leaf, key };
}
