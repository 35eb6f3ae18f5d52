/** Message type names for errors: 'NFT_MSG_NEWRULE' for (10 << 8) | 6. */
import * as nfnl from '../constants/nfnetlink';
import * as K from '../constants/nftables';

const NFT_MSG = new Map<number, string>(
  Object.entries(K)
    .filter(([name, v]) => name.startsWith('NFT_MSG_') && name !== 'NFT_MSG_MAX' && typeof v === 'number')
    .map(([name, v]) => [v as number, name]),
);
const CT_MSG = new Map<number, string>(
  Object.entries(nfnl)
    .filter(([name, v]) => name.startsWith('IPCTNL_MSG_CT_') && typeof v === 'number')
    .map(([name, v]) => [v as number, name]),
);

export function nfnlMsgName(type: number): string {
  if (type === nfnl.NFNL_MSG_BATCH_BEGIN) return 'NFNL_MSG_BATCH_BEGIN';
  if (type === nfnl.NFNL_MSG_BATCH_END) return 'NFNL_MSG_BATCH_END';
  const subsys = type >> 8;
  const msg = type & 0xff;
  if (subsys === nfnl.NFNL_SUBSYS_NFTABLES) return NFT_MSG.get(msg) ?? `NFT_MSG_${msg}`;
  if (subsys === nfnl.NFNL_SUBSYS_CTNETLINK) return CT_MSG.get(msg) ?? `IPCTNL_MSG_${msg}`;
  return `NFNL_${subsys}_${msg}`;
}
