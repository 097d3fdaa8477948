import { createAclsApi, deleteAclsApi, describeAclsApi } from './acls';
import { Api } from './api';
import { apiVersionsApi } from './api-versions';
import { alterConfigsApi, describeConfigsApi, incrementalAlterConfigsApi } from './configs';
import { createTopicsApi } from './create-topics';
import { deleteTopicsApi } from './delete-topics';
import { describeGroupsApi } from './describe-groups';
import { fetchApi } from './fetch';
import { findCoordinatorApi } from './find-coordinator';
import { heartbeatApi } from './heartbeat';
import { initProducerIdApi } from './init-producer-id';
import { joinGroupApi } from './join-group';
import { leaveGroupApi } from './leave-group';
import { listGroupsApi } from './list-groups';
import { listOffsetsApi } from './list-offsets';
import { metadataApi } from './metadata';
import { offsetCommitApi } from './offset-commit';
import { offsetFetchApi } from './offset-fetch';
import { createPartitionsApi, deleteGroupsApi, deleteRecordsApi } from './partitions-admin';
import { produceApi } from './produce';
import { saslAuthenticateApi, saslHandshakeApi } from './sasl';
import { syncGroupApi } from './sync-group';

export const API_VERSIONS_KEY = 18;

export const APIS: readonly Api[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  apiVersionsApi(() => APIS),
  createTopicsApi,
  deleteTopicsApi,
  initProducerIdApi,
  saslHandshakeApi,
  saslAuthenticateApi,
  deleteRecordsApi,
  describeAclsApi,
  createAclsApi,
  deleteAclsApi,
  describeConfigsApi,
  alterConfigsApi,
  createPartitionsApi,
  deleteGroupsApi,
  incrementalAlterConfigsApi,
];

export const API_BY_KEY = new Map(APIS.map((a) => [a.key, a]));
