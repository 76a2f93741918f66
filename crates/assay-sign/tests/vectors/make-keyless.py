"""Makes the keyless vector (run once, from this directory, with python3 and `cryptography`):
payload.json signed with the test Fulcio leaf key of fixtures/keys/keyless
(keyless-payload.sig, base64 DER) and logged in a Rekor-style bundle signed by the test log
key (keyless-bundle.json: a hashedrekord body and its SignedEntryTimestamp over the
canonical {"body","integratedTime","logID","logIndex"} JSON), as cosign's `bundle` holds it."""
import base64, hashlib, json
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

K = "../../../../fixtures/keys/keyless/"
load = lambda f: serialization.load_pem_private_key(open(K + f, "rb").read(), None)
leaf, log = load("leaf.key"), load("rekor.key")
cert = open(K + "leaf.pem", "rb").read()
payload = open("payload.json", "rb").read()
sig = leaf.sign(payload, ec.ECDSA(hashes.SHA256()))
open("keyless-payload.sig", "w").write(base64.b64encode(sig).decode())
body = {"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
    "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}},
    "signature": {"content": base64.b64encode(sig).decode(),
                  "publicKey": {"content": base64.b64encode(cert).decode()}}}}
body = base64.b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()
spki = log.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
log_id = hashlib.sha256(spki).hexdigest()
integrated = 1767225600  # 2026-01-01, inside the leaf's validity (2020-2040)
canonical = json.dumps({"body": body, "integratedTime": integrated, "logID": log_id, "logIndex": 7},
                       separators=(",", ":"), sort_keys=True).encode()
set_ = log.sign(canonical, ec.ECDSA(hashes.SHA256()))
json.dump({"SignedEntryTimestamp": base64.b64encode(set_).decode(),
           "Payload": {"body": body, "integratedTime": integrated, "logIndex": 7, "logID": log_id}},
          open("keyless-bundle.json", "w"))
