/**
 * Docker's JSON shapes: `docker network inspect` for a network, and the NetworkSettings
 * part of `docker inspect` for a container, built from nsnet's records and IPAM's view.
 */
import type { Network } from './networks';
import type { ContainerRecord, EndpointRecord } from './records';

export interface DockerNetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge';
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string>; Config: Array<{ Subnet: string; Gateway: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }> };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** Published ports in Docker's form: { '80/tcp': [{ HostIp, HostPort }] }. */
export type DockerPorts = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

export interface DockerEndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export interface DockerNetworkSettings {
  Bridge: string;
  SandboxID: string;
  SandboxKey: string;
  Ports: DockerPorts;
  HairpinMode: boolean;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  Networks: Record<string, DockerEndpointSettings>;
}

function split(cidr: string | undefined): { ip: string; len: number } {
  if (!cidr) return { ip: '', len: 0 };
  const [ip, len] = cidr.split('/');
  return { ip: ip!, len: Number(len) };
}

export function inspectNetwork(net: Network, containers: readonly ContainerRecord[]): DockerNetworkInspect {
  const members: DockerNetworkInspect['Containers'] = {};
  for (const c of containers) {
    for (const ep of c.endpoints) {
      if (ep.networkId !== net.id) continue;
      members[c.id] = { Name: c.name, EndpointID: ep.id, MacAddress: ep.mac, IPv4Address: ep.ipv4 ?? '', IPv6Address: ep.ipv6 ?? '' };
    }
  }
  return {
    Name: net.name,
    Id: net.id,
    Created: net.created,
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: net.enableIPv6,
    IPAM: {
      Driver: 'default',
      Options: {},
      Config: net.subnets.map((s) => ({
        Subnet: s.subnet,
        Gateway: s.gateway,
        ...(s.ipRange ? { IPRange: s.ipRange } : {}),
        ...(Object.keys(s.auxAddresses).length ? { AuxiliaryAddresses: { ...s.auxAddresses } } : {}),
      })),
    },
    Internal: net.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: members,
    Options: {
      ...net.options,
      'com.docker.network.bridge.name': net.bridge,
      'com.docker.network.bridge.enable_icc': String(net.icc),
      'com.docker.network.bridge.enable_ip_masquerade': String(net.masquerade),
      ...(net.mtu !== undefined ? { 'com.docker.network.driver.mtu': String(net.mtu) } : {}),
    },
    Labels: { ...net.labels },
  };
}

function endpointSettings(ep: EndpointRecord, links: string[] | null): DockerEndpointSettings {
  const v4 = split(ep.ipv4);
  const v6 = split(ep.ipv6);
  const ipam = ep.staticIp || ep.staticIp6 ? { ...(ep.staticIp ? { IPv4Address: ep.staticIp } : {}), ...(ep.staticIp6 ? { IPv6Address: ep.staticIp6 } : {}) } : null;
  return {
    IPAMConfig: ipam,
    Links: links,
    Aliases: ep.aliases.length ? [...ep.aliases] : null,
    MacAddress: ep.mac,
    NetworkID: ep.networkId,
    EndpointID: ep.id,
    Gateway: ep.gateway ?? '',
    IPAddress: v4.ip,
    IPPrefixLen: v4.len,
    IPv6Gateway: ep.gateway6 ?? '',
    GlobalIPv6Address: v6.ip,
    GlobalIPv6PrefixLen: v6.len,
    DNSNames: null,
  };
}

/**
 * The NetworkSettings of `docker inspect`. The top-level address fields describe the
 * default bridge endpoint, as Docker's do; `networkName` maps network IDs to names.
 */
/** Docker's `Ports` from what the firewall published: { '80/tcp': [{ HostIp, HostPort }] }. */
export function dockerPorts(c: ContainerRecord): DockerPorts {
  const ports: DockerPorts = {};
  for (const ep of c.endpoints) {
    for (const m of ep.published ?? []) {
      const key = `${m.containerPort}/${m.proto}`;
      const list = (ports[key] ??= []);
      list.push({ HostIp: m.hostIp ?? (m.family === 6 ? '::' : '0.0.0.0'), HostPort: String(m.hostPort) });
    }
  }
  return ports;
}

export function inspectContainer(c: ContainerRecord, networkName: (id: string) => string, isDefault: (id: string) => boolean): DockerNetworkSettings {
  const networks: Record<string, DockerEndpointSettings> = {};
  for (const ep of c.endpoints) networks[networkName(ep.networkId)] = endpointSettings(ep, isDefault(ep.networkId) && c.links.length ? [...c.links] : null);
  if (c.mode === 'host' || c.mode === 'none') networks[c.mode] = endpointSettings({ id: '', networkId: '', ifname: '', hostIfname: '', mac: '', aliases: [] }, null);
  const primary = c.endpoints.find((e) => isDefault(e.networkId));
  const top = primary ? endpointSettings(primary, null) : undefined;
  return {
    Bridge: '',
    SandboxID: c.id,
    SandboxKey: c.netnsPath,
    Ports: dockerPorts(c),
    HairpinMode: false,
    EndpointID: top?.EndpointID ?? '',
    Gateway: top?.Gateway ?? '',
    IPAddress: top?.IPAddress ?? '',
    IPPrefixLen: top?.IPPrefixLen ?? 0,
    IPv6Gateway: top?.IPv6Gateway ?? '',
    GlobalIPv6Address: top?.GlobalIPv6Address ?? '',
    GlobalIPv6PrefixLen: top?.GlobalIPv6PrefixLen ?? 0,
    MacAddress: top?.MacAddress ?? '',
    Networks: networks,
  };
}
