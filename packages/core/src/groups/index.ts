export {
  createGroup,
  updateGroup,
  deleteGroup,
  addGroupMember,
  removeGroupMember,
  listGroups,
  listGroupNames,
  listGroupMembers,
  listUserGroups,
  groupNameSchema,
  type GroupView,
  type GroupMemberView,
} from "./manage-groups.ts";
export {
  listExperimentGroupPermissions,
  setExperimentGroupPermission,
  listModelGroupPermissions,
  setModelGroupPermission,
  type ExperimentGroupPermissionView,
  type ModelGroupPermissionView,
} from "./group-grants.ts";
