// One role and one user per service, each allowed only the collections that service owns
// (each collection has exactly one writer; tests/unit/test_architecture.py enforces it and
// tests/unit/deploy/test_access_files.py checks this list against the code).
//
// Run against the primary as an administrator, once and after each release that adds a
// collection (it updates existing roles and users in place):
//   MONGODB_INGEST_PASSWORD=... MONGODB_SCHEDULER_PASSWORD=... MONGODB_FEEDBACK_PASSWORD=... \
//   MONGODB_NOTIFIER_PASSWORD=... mongosh "$ADMIN_URL" deploy/mongodb/users.js
// Services then connect with <SERVICE>_MONGODB_USER / <SERVICE>_MONGODB_PASSWORD.

const database = process.env.MONGODB_DATABASE || "slipstream";
const owned = {
  // Ingest keeps everything in JetStream; its user can only authenticate and ping.
  ingest: [],
  scheduler: [
    "items", "dependencies", "releases", "schedules", "demand", "assessments",
    "assessment_history", "assessment_history_checkpoints", "release_outlooks", "leases",
    "dashboard_sessions", "risk_marks",
  ],
  feedback: [
    "feedback", "feedback_links", "feedback_demand", "organisations", "feedback_surges",
    "feedback_tallies",
    "feedback_items", "feedback_releases", "feedback_closures",
  ],
  notifier: [
    "notifications", "notifier_people", "notifier_subscriptions", "notifier_digests",
    "notifier_told",
  ],
};
// Read by every service, written by none: API tokens are created and revoked by the CLI's
// `slipstream token` commands, run with an administrator's credentials.
const readOnly = ["api_tokens"];
const actions = [
  "find", "insert", "update", "remove", "createCollection", "createIndex", "dropIndex",
  "listIndexes", "collStats",
];

const target = db.getSiblingDB(database);
for (const [service, collections] of Object.entries(owned)) {
  const role = `slipstream-${service}`;
  const privileges = [
    ...collections.map((collection) => ({ resource: { db: database, collection }, actions })),
    ...readOnly.map((collection) => ({
      resource: { db: database, collection },
      actions: ["find"],
    })),
  ];
  if (target.getRole(role)) {
    target.updateRole(role, { privileges, roles: [] });
  } else {
    target.createRole({ role, privileges, roles: [] });
  }
  const password = process.env[`MONGODB_${service.toUpperCase()}_PASSWORD`];
  if (!password) {
    throw new Error(`set MONGODB_${service.toUpperCase()}_PASSWORD`);
  }
  if (target.getUser(service)) {
    target.updateUser(service, { pwd: password, roles: [role] });
  } else {
    target.createUser({ user: service, pwd: password, roles: [role] });
  }
  print(`${service}: role ${role} on ${collections.length} collections`);
}
