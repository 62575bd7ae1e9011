// The connectivity check of the pre-join screen: which ways of reaching the others work
// from here. Gathering candidates is enough to tell: a host candidate is a direct path, a
// server-reflexive one means a STUN server answered, a relay one means TURN gave an address.
const GATHER_TIMEOUT_MS = 6000;

function configured(servers, scheme) {
  return servers.some((server) => [].concat(server.urls).some((url) => url.startsWith(scheme)));
}

export async function checkConnectivity(iceServers) {
  const result = {
    direct: false,
    stun: configured(iceServers, "stun") ? false : null, // null: none configured
    turn: configured(iceServers, "turn") ? false : null,
  };
  if (!window.RTCPeerConnection) return result;
  const pc = new RTCPeerConnection({ iceServers });
  pc.createDataChannel("check");
  const done = new Promise((/** @type {(value?: void) => void} */ resolve) => {
    const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (!candidate) {
        clearTimeout(timer);
        resolve();
        return;
      }
      if (candidate.type === "host") result.direct = true;
      if (candidate.type === "srflx" && result.stun !== null) result.stun = true;
      if (candidate.type === "relay" && result.turn !== null) result.turn = true;
    });
  });
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await done;
  } finally {
    pc.close();
  }
  return result;
}
