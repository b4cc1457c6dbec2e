import { z } from "zod";
import { addGroupMember, createGroup, deleteGroup, listGroupMembers, listGroupNames, listGroups, listUserGroups, removeGroupMember, updateGroup } from "@modelgate/core";
import { procedure, router } from "../init.ts";

// Groups of users. Managing them is for admins (core checks users:manage); `names` is open to any
// signed-in user so that experiment and model managers can pick a group to grant to.
const group = z.object({ group: z.string() });
const member = z.object({ group: z.string(), username: z.string() });

export const groupsRouter = router({
  list: procedure.query(({ ctx }) => listGroups(ctx.core)),
  names: procedure.query(({ ctx }) => listGroupNames(ctx.core)),
  members: procedure.input(group).query(({ ctx, input }) => listGroupMembers(ctx.core, input)),
  ofUser: procedure.input(z.object({ username: z.string() })).query(({ ctx, input }) => listUserGroups(ctx.core, input)),
  create: procedure.input(z.object({ name: z.string(), description: z.string().optional() })).mutation(({ ctx, input }) => createGroup(ctx.core, input)),
  update: procedure
    .input(z.object({ group: z.string(), new_name: z.string().optional(), description: z.string().optional() }))
    .mutation(({ ctx, input }) => updateGroup(ctx.core, input)),
  delete: procedure.input(group).mutation(({ ctx, input }) => deleteGroup(ctx.core, input)),
  addMember: procedure.input(member).mutation(({ ctx, input }) => addGroupMember(ctx.core, input)),
  removeMember: procedure.input(member).mutation(({ ctx, input }) => removeGroupMember(ctx.core, input)),
});
