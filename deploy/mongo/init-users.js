// mongo:8 runs this once, when it initialises its data directory (as the root
// user from MONGO_INITDB_ROOT_*): the users of the sendfx processes, with the
// roles the README's ownership section declares (dev/src/sendfx_dev/ownership.py).
const admin = db.getSiblingDB("admin");
const feature = process.env.FEATURE_DATABASE || "sendfx";
const legacy = process.env.LEGACY_DATABASE || feature;
admin.createUser({
  user: "feature-api",
  pwd: process.env.FEATURE_API_MONGO_PASSWORD,
  roles: [{ role: "readWrite", db: feature }],
});
admin.createUser({
  user: "migrator-extract",
  pwd: process.env.MIGRATOR_EXTRACT_MONGO_PASSWORD,
  roles: [
    { role: "read", db: legacy },
    { role: "readWrite", db: legacy + "_migrator" },
  ],
});
admin.createUser({
  user: "sendfx-operator",
  pwd: process.env.OPERATOR_MONGO_PASSWORD,
  roles: [
    { role: "readWrite", db: feature },
    { role: "read", db: legacy },
    { role: "readWrite", db: legacy + "_migrator" },
  ],
});
