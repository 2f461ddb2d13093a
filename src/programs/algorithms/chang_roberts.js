// Chang–Roberts leader election on a unidirectional ring (the JavaScript twin of
// chang_roberts.lua). Parameters: UID, NEXT.
send(NEXT, { uid: UID });
for (;;) {
  const [, m] = await recv();
  if (m.elected !== undefined) {
    if (m.elected !== UID) send(NEXT, m);
    print("leader " + m.elected);
    break;
  } else if (m.uid > UID) {
    send(NEXT, m);
  } else if (m.uid === UID) {
    print("elected");
    send(NEXT, { elected: UID });
  }
}
