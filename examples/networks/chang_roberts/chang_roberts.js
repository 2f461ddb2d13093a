// Chang–Roberts leader election on a unidirectional ring (the JavaScript twin of
// chang_roberts.lua). Parameters: uid, next.
const { uid: UID, next: NEXT } = params();
send(NEXT, { uid: UID });
for (;;) {
  const [, m] = await recv();
  if (m.elected !== undefined) {
    if (m.elected !== UID) send(NEXT, m);
    record("leader", m.elected);
    break;
  } else if (m.uid > UID) {
    send(NEXT, m);
  } else if (m.uid === UID) {
    record("elected", true);
    send(NEXT, { elected: UID });
  }
}
