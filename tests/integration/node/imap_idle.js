// imapflow waits in IDLE for changes made by others. Input (JSON on stdin):
//   {host, port, tls, user, password, timeoutMs, mailbox: "INBOX",
//    autoIdle: false (IDLE by client.idle()) | true (imapflow's own auto-IDLE),
//    until: "expunge" (the event after which to stop)}
// Prints JSON lines: {"idling": true, exists} once the server has answered
// IDLE with its "+" continuation (the test then changes the mailbox), one
// {"event": "exists"|"flags"|"expunge", ...} per imapflow event, and after
// the `until` event {"last": {uid, size, subject}} of the newest message
// (fetched after IDLE ends) before it logs out. The overall deadline is
// input.timeoutMs (common.js).
import { ImapFlow } from 'imapflow';
import { run, emit, imapOptions } from './common.js';

await run(async (input, log) => {
    const options = imapOptions(input, log);
    if (input.autoIdle) {
        options.disableAutoIdle = false;
        options.autoIdleDelay = 200;   // ms after the last command
    }
    const client = new ImapFlow(options);
    const mailbox = { exists: null };
    let announced = false;
    // The pinned imapflow logs this when the server's "+" continuation arrives.
    log.watch(entry => {
        if (!announced && entry.msg === 'Initiated IDLE, waiting for server input') {
            announced = true;
            emit({ idling: true, exists: mailbox.exists });
        }
    });
    const until = input.until || 'exists';
    const done = new Promise(resolve => {
        for (const name of ['exists', 'flags', 'expunge']) {
            client.on(name, data => {
                emit({ event: name, ...data, flags: data.flags ? [...data.flags].sort() : undefined });
                if (name === until) {
                    resolve();
                }
            });
        }
    });
    await client.connect();
    mailbox.exists = (await client.mailboxOpen(input.mailbox || 'INBOX')).exists;
    const idle = input.autoIdle ? null : client.idle();   // resolves when IDLE ends
    await done;
    // A command ends IDLE (imapflow sends DONE first).
    const msg = await client.fetchOne('*', { uid: true, envelope: true, size: true });
    if (idle) {
        await idle;
    }
    emit({ last: msg ? { uid: msg.uid, size: msg.size, subject: msg.envelope && msg.envelope.subject } : null });
    await client.logout();
});
