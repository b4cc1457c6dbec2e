import crypto from "node:crypto";

// Run names like MLflow's generated ones ("adjective-animal-NNN"), so a run logged without a
// name is still easy to tell apart in lists and charts.

const ADJECTIVES = [
  "able", "amazing", "bold", "brave", "bright", "calm", "capable", "clean", "clever", "crisp", "curious", "dapper",
  "eager", "fearless", "fun", "gentle", "glamorous", "gregarious", "honest", "indecisive", "judicious", "kindly",
  "languid", "likeable", "loud", "lucky", "merciful", "mysterious", "nimble", "orderly", "placid", "polite", "quick",
  "quiet", "resilient", "rogue", "sassy", "secretive", "serious", "shivering", "silent", "skittish", "smiling",
  "stately", "sunny", "suave", "tasteful", "thoughtful", "traveling", "unique", "valuable", "vaunted", "victorious",
  "wise", "witty", "zealous",
];

const ANIMALS = [
  "ant", "ape", "asp", "bass", "bat", "bear", "bee", "bird", "boar", "bug", "calf", "carp", "cat", "colt", "conch",
  "cow", "crab", "crane", "croc", "crow", "cub", "deer", "doe", "dog", "dolphin", "donkey", "dove", "duck", "eel",
  "elk", "finch", "fish", "flea", "fly", "foal", "fowl", "fox", "frog", "gnat", "gnu", "goat", "goose", "grouse",
  "grub", "gull", "hare", "hawk", "hen", "hog", "horse", "hound", "jay", "kit", "kite", "koi", "lamb", "lark", "loon",
  "lynx", "mare", "midge", "mink", "mole", "moose", "moth", "mouse", "mule", "newt", "owl", "ox", "panda", "penguin",
  "perch", "pig", "pug", "quail", "ram", "rat", "ray", "robin", "roo", "rook", "seal", "shad", "shark", "sheep", "shoat",
  "shrew", "shrike", "shrimp", "skink", "skunk", "sloth", "slug", "smelt", "snail", "snake", "snipe", "sow", "sponge",
  "squid", "stag", "steed", "stoat", "stork", "swan", "tern", "toad", "trout", "turtle", "vole", "wasp", "whale",
  "wolf", "worm", "wren", "yak", "zebra",
];

const pick = (xs: readonly string[]) => xs[crypto.randomInt(xs.length)]!;

export function generateRunName(): string {
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}-${crypto.randomInt(1000)}`;
}

/** MLflow's run id: a uuid4 as 32 hex characters. */
export function newRunId(): string {
  return crypto.randomUUID().replace(/-/g, "");
}
