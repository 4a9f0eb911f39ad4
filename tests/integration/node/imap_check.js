// One imapflow session: log in, list the mailboxes, run UID searches, fetch
// one message's BODYSTRUCTURE and one of its parts (raw, and decoded through
// imapflow's download()), log out. Input (JSON on stdin):
//   {host, port, tls: "none"|"starttls"|"implicit", user, password, timeoutMs,
//    mailbox: "INBOX", searches: [imapflow search queries],
//    fetch: {uid, part} (optional),
//    downloads: [{uid, part, chunkSize}] (optional: download() in partial
//      fetches of chunkSize octets, reported as length and SHA-256)}
// Output: one JSON line with what the server told imapflow.
import { createHash } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { run, emit, imapOptions } from './common.js';

async function readAll(stream) {
    const chunks = [];
    for await (const chunk of stream) {
        chunks.push(chunk);
    }
    return Buffer.concat(chunks);
}

await run(async (input, log) => {
    const client = new ImapFlow(imapOptions(input, log));
    await client.connect();
    const result = {
        secure: !!client.secureConnection,
        authenticated: !!client.authenticated,
        capabilities: [...client.capabilities.keys()].sort()
    };
    result.mailboxes = (await client.list()).map(m => ({
        path: m.path,
        specialUse: m.specialUse || null,
        flags: [...m.flags].sort()
    }));
    const mailbox = await client.mailboxOpen(input.mailbox || 'INBOX', { readOnly: true });
    result.exists = mailbox.exists;
    result.searches = [];
    for (const query of input.searches || []) {
        const uids = await client.search(query, { uid: true });
        result.searches.push(uids === false ? null : [...uids].sort((a, b) => a - b));
    }
    if (input.fetch) {
        const { uid, part } = input.fetch;
        const msg = await client.fetchOne(String(uid), { uid: true, size: true, bodyStructure: true, bodyParts: [part] },
            { uid: true });
        if (!msg) {
            throw new Error(`UID FETCH ${uid} returned no message`);
        }
        const raw = msg.bodyParts && msg.bodyParts.get(part);
        result.fetch = {
            uid: msg.uid,
            size: msg.size,
            bodyStructure: msg.bodyStructure,
            partBase64: raw ? raw.toString('base64') : null
        };
        const dl = await client.download(String(uid), part, { uid: true });
        const content = await readAll(dl.content);
        result.download = { meta: dl.meta, base64: content.toString('base64') };
    }
    result.downloads = [];
    for (const { uid, part, chunkSize } of input.downloads || []) {
        const dl = await client.download(String(uid), part, { uid: true, chunkSize });
        const content = await readAll(dl.content);
        result.downloads.push({
            meta: dl.meta,
            length: content.length,
            sha256: createHash('sha256').update(content).digest('hex')
        });
    }
    await client.logout();
    emit(result);
});
