/** The Node flags Meridian's server runs with (node-flags.mjs). */
export declare const SERVER_NODE_FLAGS: readonly string[];
