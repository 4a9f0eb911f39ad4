// imapflow waits in IDLE for new mail. Input (JSON on stdin):
//   {host, port, tls, user, password, timeoutMs, mailbox: "INBOX"}
// Prints {"idling": true, exists} once the server has answered IDLE with its
// "+" continuation (the test then delivers a message), then
// {"exists": {count, prevCount}, "fetched": {...}} for the first `exists`
// event, and logs out. The overall deadline is input.timeoutMs (common.js).
import { ImapFlow } from 'imapflow';
import { run, emit, imapOptions } from './common.js';

await run(async (input, log) => {
    const client = new ImapFlow(imapOptions(input, log));
    let announced = false;
    const newMail = new Promise(resolve => client.on('exists', resolve));
    const mailbox = { exists: null };
    // The pinned imapflow logs this when the server's "+" continuation arrives.
    log.watch(entry => {
        if (!announced && entry.msg === 'Initiated IDLE, waiting for server input') {
            announced = true;
            emit({ idling: true, exists: mailbox.exists });
        }
    });
    await client.connect();
    mailbox.exists = (await client.mailboxOpen(input.mailbox || 'INBOX')).exists;
    const idle = client.idle();   // resolves when IDLE ends (the fetch below breaks it)
    const event = await newMail;
    // A command ends IDLE (imapflow sends DONE); fetch what arrived.
    const msg = await client.fetchOne('*', { uid: true, envelope: true, size: true });
    await idle;
    emit({
        exists: { path: event.path, count: event.count, prevCount: event.prevCount },
        fetched: msg ? { uid: msg.uid, size: msg.size, subject: msg.envelope && msg.envelope.subject } : null,
        sawIdleContinuation: announced
    });
    await client.logout();
});
