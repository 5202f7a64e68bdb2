// Reading the hub's read models ("session", "roster", "attendance", "agenda", "board", "ballots",
// "queue", "floor", "speaking") in one place, so the pages do not each know their exact JSON.

const rows = (model, key) => (Array.isArray(model) ? model : model?.[key] ?? []);

/** A row's identity: read models name it after what it is ("proposal", "ballot", "village") or "id". */
export const idOf = (row, kind) => row?.[kind] ?? row?.id ?? row?.code;

export const proposals = (models) => rows(models.board, "proposals");
export const ballots = (models) => rows(models.ballots, "ballots");
export const queue = (models) => rows(models.queue, "entries");
export const roster = (models) => rows(models.roster, "villages");
export const attendance = (models) => rows(models.attendance, "villages");
export const agendaItems = (models) => rows(models.agenda, "items");

export function byId(list, kind) {
  return new Map(list.map((row) => [idOf(row, kind), row]));
}

// The lists a push may carry as rows, and what names each row.
const ROW_KINDS = { proposals: "proposal" };

/** A model with pushed rows put in by id: a known row replaced where it stands, a new one added at
 *  the end (where the hub adds it). */
export function withRows(model, lists) {
  const out = { ...model };
  for (const [key, fresh] of Object.entries(lists)) {
    const kind = ROW_KINDS[key];
    const list = [...(out[key] ?? [])];
    const at = new Map(list.map((row, i) => [idOf(row, kind), i]));
    for (const row of fresh) {
      const i = at.get(idOf(row, kind));
      if (i === undefined) list.push(row);
      else list[i] = row;
    }
    out[key] = list;
  }
  return out;
}

/** Points and voters per option of a ballot (none while a secret ballot is open). */
export function tallies(ballot) {
  return new Map((ballot.tallies ?? []).map((row) => [row.proposal, { points: row.points, voters: row.voters }]));
}

/** The village a connected page speaks for, with its roster row. */
export function myVillage(models, me) {
  return roster(models).find((v) => idOf(v, "village") === me?.id);
}

export const isOpen = (ballot) => ballot.status === "open";

/** Who holds the floor: {village, name, kecamatan} or null. */
export const holderOf = (models) => models.floor?.holder ?? null;
